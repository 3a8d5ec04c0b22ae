# Shared by the set-up steps of action.yml (sourced, not run).

# An escaped workflow-command message: GitHub ends the command at a newline and reads % escapes.
annotation_text() {
  local text="$1"
  text="${text//'%'/%25}"
  text="${text//$'\r'/%0D}"
  text="${text//$'\n'/%0A}"
  printf '%s' "$text"
}

fail_on_error() {
  case "$(printf '%s' "${INPUT_FAIL_ON_ERROR:-${AUTOFIX_FAIL_ON_ERROR:-}}" | tr '[:upper:]' '[:lower:]' | tr -d '[:space:]')" in
    true | 1 | yes) return 0 ;;
    *) return 1 ;;
  esac
}

# A set-up failure is reported, never silent: an ::error:: annotation and a step summary that say what failed
# and how to fix it. It fails the step only when fail-on-error is true, the same switch that decides about a
# report that could not be delivered; otherwise the job's own status stands and the later steps are skipped.
#   setup_failed "what failed" "details (may be several lines)" "how to fix it (markdown)"
setup_failed() {
  local what="$1" details="$2" fix="$3"
  echo "::error title=NEXUS AutoFix could not start::$(annotation_text "$what. $details")"
  {
    echo "### NEXUS AutoFix could not start"
    echo
    echo "**$what.**"
    echo
    echo '```'
    printf '%s\n' "$details"
    echo '```'
    echo
    printf '%s\n' "$fix"
    echo
  } >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
  echo "ready=false" >> "$GITHUB_OUTPUT"
  if fail_on_error; then
    echo "NEXUS AutoFix: fail-on-error is true, so this step fails."
    exit 1
  fi
  exit 0
}
