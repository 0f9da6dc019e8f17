"""The structure of a graph (templates and student graphs alike): lessons placed as nodes,
dependencies between them, the cycle check, and how a graph is rendered. Templates and
student graphs call the same functions; a change to a template bumps its version, a change
to a student graph brings its lesson states up to date (``thebot.knowledge.states``)."""
