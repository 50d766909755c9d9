"""Features: the frozen backbone, and its output per dataset kept in an on-disk cache."""
