"""Reading job logs: `normalise` turns raw bytes into clean numbered lines (BOM, timestamps, ANSI, steps);
`search` finds the lines worth classifying in bounded memory, with `grep` as a faster finder where it is safe.
"""
