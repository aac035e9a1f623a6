from sales.exports.command import ExportCommand


class Command(ExportCommand):
    export_name = "checkins"
