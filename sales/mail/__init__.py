"""E-mail (its own tenant app, label `mail`): the customer's tickets when a sale with an
e-mail completes, a reservation's reminder before its deadline and the notice when it
lapses, and the operator alerts each user subscribes to. docs/notifications.md."""
