"""Evidence export: a signed package with a chain of custody that anyone can verify offline."""
