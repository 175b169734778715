"""Helpers shared by tests of several packages (imported by the tests themselves, never from a
conftest): a clip the tests write, a scripted recognizer, and real camera workers to drive."""
