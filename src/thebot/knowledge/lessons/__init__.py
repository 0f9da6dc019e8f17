"""Authored lessons: an ordered list of elements of one subject, each required or optional;
totals (time, maximum score over required elements, counts) are derived."""
