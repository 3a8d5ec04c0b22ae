"""What the user configured: `settings` builds the frozen Settings from inputs, AUTOFIX_* variables and
defaults; `file` reads and schema-checks the repository's `.github/nexus.yml`.
"""
