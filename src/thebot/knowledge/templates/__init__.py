"""Graph templates per subject: lessons placed as nodes with dependencies, a version that
moves with each structural change, export/import as a versioned JSON document, and
propagation of the current structure to the student graphs made from it."""
