#!/usr/bin/env bash
# Runs the first working Python 3 of python3, python and `py -3` (the order the action uses) with the given
# arguments: the smoke workflow's own checks must not depend on which of them a runner image has.
set -euo pipefail
for candidate in python3 python "py -3"; do
  # $candidate is unquoted on purpose: "py -3" is a command and its argument.
  if $candidate -c 'import sys; sys.exit(sys.version_info < (3, 8))' > /dev/null 2>&1; then
    exec $candidate "$@"
  fi
done
echo "::error title=NEXUS smoke::no working python3, python or py -3 on this runner"
exit 1
