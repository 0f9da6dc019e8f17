"""Teachers grade text problems: the review queue and the grade."""
