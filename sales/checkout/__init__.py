"""The till: quote, checkout, payments on a reservation, and the answers about a hold's
price. The one place that orchestrates the sale records (sales.models), the holds
(reservations) and the fiscal documents (fiscal); those apps never import it, nor each
other (the import-linter contracts in .importlinter, run by `make test`)."""
