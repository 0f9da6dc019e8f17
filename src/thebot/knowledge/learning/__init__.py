"""The student's side of a graph: lessons, element actions, grading, unlocking."""
