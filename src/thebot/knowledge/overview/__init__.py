"""Students x lessons of a template: the class overview and its CSV export."""
