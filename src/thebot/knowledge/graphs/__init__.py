"""Per-student graphs: made from a template for a student enrolled in its subject (or built
empty), by the student's teacher of the subject, tutor or an admin; read by the student,
their parents, that teacher and tutor and admins; propagation from their template."""
