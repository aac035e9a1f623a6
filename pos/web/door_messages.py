"""Every sentence the door's script (pos/static/pos/door.js) shows, translated on the
server (Django i18n) and handed over as JSON, like the POS page's (pos.web.messages).
Placeholders in braces are filled in by the script."""

from __future__ import annotations

from django.utils.translation import gettext as _


def door_messages() -> dict[str, str]:
    """The door script's strings in the active language."""
    return {
        # The green answer.
        "admitted": _("Admitted"),
        "seat": _("Seat {seat}"),
        "general_admission": _("General admission"),
        "entry_of": _("Entry {entries} of {max}"),
        # The red answers, by the API's refusal code.
        "refused": _("Do not admit"),
        "already_admitted": _("Already entered at {time} through gate {gate}"),
        "already_admitted_no_gate": _("Already entered at {time}"),
        "ticket_void": _("Void: this ticket was refunded"),
        "unknown_ticket": _("Unknown: not a ticket of this venue"),
        "wrong_event": _("Another event: this ticket is not for this event"),
        "busy": _("Busy: scan it again"),
        "network_down": _("No connection to the server: scan it again"),
        "logged_out": _("Your session ended. Please log in again."),
        "forbidden": _("Your role does not allow this action."),
        "server_error": _("Something went wrong on the server. Please try again."),
        # Counters and the rest of the page.
        "no_events": _("No event to admit to."),
        "camera_start": _("Camera"),
        "camera_stop": _("Stop camera"),
        "camera_error": _("The camera could not be opened."),
        "recent_admitted": _("{time} admitted: {what}"),
        "recent_refused": _("{time} refused: {what}"),
        # Offline.
        "offline_banner": _("No connection: checking against the downloaded list. "
                            "{n} scan(s) waiting to be sent."),
        "sync_pending": _("{n} scan(s) waiting to be sent."),
        "offline_note": _("offline"),
        "offline_already": _("Already entered (offline list)"),
        "sync_conflict": _("Conflict: that ticket had already entered at {time} through gate "
                           "{gate}"),
    }
