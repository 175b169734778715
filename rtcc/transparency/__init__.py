"""The EO 78 transparency report: computed figures, entered text, sign-off, public page."""
