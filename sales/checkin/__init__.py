"""Check-in at the door: scanning a ticket's signed QR (sales.tickets) admits its holder
once, records an exit for re-entry where the zone allows it, and logs every scan
(docs/checkin.md)."""
