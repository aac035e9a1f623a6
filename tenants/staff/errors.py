from pos.errors import Conflict, DomainError, NotFound


class InvalidStaff(DomainError):
    code = "invalid_staff"


class UsernameTaken(Conflict):
    code = "username_taken"


class LastVenueAdmin(Conflict):
    code = "last_venue_admin"
    default_message = ("The venue must keep at least one active venue admin: make someone "
                       "else venue admin first.")


class StaffNotFound(NotFound):
    code = "not_found"
    default_message = "No such staff member."
