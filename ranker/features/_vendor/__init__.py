"""Third-party code kept inside the package, each with its licence and a note of what was changed."""
