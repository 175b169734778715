"""Retention: a pure plan, a thin executor, legal holds, the auditor's report, a scheduler."""
