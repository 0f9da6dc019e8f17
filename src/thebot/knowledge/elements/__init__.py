"""Authored elements (theory, video, quick questions, text problems): authors of a subject
create them, read their own and the subject's shared ones; students never read these."""
