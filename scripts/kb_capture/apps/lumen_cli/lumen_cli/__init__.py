"""lumen: command-line tool of Lumen Orders."""
