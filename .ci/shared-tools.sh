# Sourced by the CI steps: find_shared_tools SCRIPT sets $tools to the shared tools folder that
# holds SCRIPT: $SHARED_TOOLS, else ../shared/tools beside this checkout, else beside the
# repository it was cloned from (.ci/run works in a clone of the checkout). Needs $repo.
find_shared_tools() {
    local origin t
    origin=$(git -C "$repo" config --get remote.origin.url 2>/dev/null || true)
    tools=${SHARED_TOOLS:-}
    for t in "$repo/../shared/tools" "${origin:+$origin/../shared/tools}"; do
        if [ -z "$tools" ] && [ -n "$t" ] && [ -f "$t/$1" ]; then tools=$t; fi
    done
    [ -n "$tools" ] || { echo "$1 not found: set SHARED_TOOLS" >&2; exit 1; }
}
