"""Small reusable pieces of the dashboard: data loading, shared filters, the selection header, cards."""
