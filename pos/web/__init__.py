"""The POS web page served at /pos/ on a tenant's host name."""
