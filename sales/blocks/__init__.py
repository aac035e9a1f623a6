"""Blocked seats: a venue admin takes seats off sale with a reason and puts them back
(docs/reservations.md, "Blocked seats")."""
