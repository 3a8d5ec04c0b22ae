"""Where the run happens: `context` parses the event and GITHUB_* variables into a RunContext, `event_file`
reads the payload safely, `load` lays command-line flags on top, and `io` writes the runner's files.
"""
