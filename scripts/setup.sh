#!/usr/bin/env bash
# Idempotent development set-up, shared by scripts/run.sh and scripts/test.sh.
#
#   scripts/setup.sh                     .venv with ".[dev]", WeasyPrint's system libraries, var/
#   scripts/setup.sh --browser           the same, plus Debian's Chromium for the Playwright tests
#   scripts/setup.sh --find-python-only  print the Python >= 3.12 it would use, change nothing
#
# Environment: PYTHON (interpreter to try first), PYENV_ROOT (default ~/.pyenv).
set -euo pipefail

# --find-python-only runs with nothing but bash builtins, so that it works (and can be tested) with a PATH
# holding a single fake interpreter.
KAP_SYSTEM_PYTHON_DIRS=${KAP_SYSTEM_PYTHON_DIRS:-/usr/local/bin /usr/bin}
WEASYPRINT_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
CHROMIUM=/usr/bin/chromium

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

want_browser=0
find_python_only=0
for arg in "$@"; do
    case $arg in
        --browser) want_browser=1 ;;
        --find-python-only) find_python_only=1 ;;
        -h | --help) sed -n '2,9s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) die "unknown argument: $arg (expected --browser or --find-python-only)" ;;
    esac
done

# Prints "MAJOR MINOR MICRO" and succeeds when "$1" runs and is Python >= 3.12. pyenv's shims exit non-zero
# unless PYENV_VERSION names a version that has them, so running the candidate is the only honest test.
python_version_of() {
    local out major minor micro
    out=$("$1" -c 'import sys; v = sys.version_info; print(v[0], v[1], v[2]); sys.exit(0 if v >= (3, 12) else 1)' \
        2>/dev/null) || return 1
    read -r major minor micro <<<"$out" || return 1
    [[ $major =~ ^[0-9]+$ && $minor =~ ^[0-9]+$ && $micro =~ ^[0-9]+$ ]] || return 1
    (( major > 3 || (major == 3 && minor >= 12) )) || return 1
    printf '%s %s %s\n' "$major" "$minor" "$micro"
}

# Of the given interpreter paths, prints the newest that qualifies. Comparing what each one reports avoids the
# lexical trap of globs (3.12.10 sorts before 3.12.9).
newest_python() {
    local c version best="" best_key=-1 key major minor micro
    for c in "$@"; do
        [[ -x $c ]] || continue
        version=$(python_version_of "$c") || continue
        read -r major minor micro <<<"$version"
        key=$(( major * 1000000 + minor * 1000 + micro ))
        if (( key > best_key )); then best=$c; best_key=$key; fi
    done
    [[ -n $best ]] && printf '%s\n' "$best"
}

find_python() {
    local c path found
    if [[ -n ${PYTHON:-} ]]; then
        path=$(command -v "$PYTHON" 2>/dev/null) || path=""
        if [[ -n $path ]] && python_version_of "$path" >/dev/null; then
            printf '%s\n' "$path"
            return 0
        fi
        say "PYTHON=$PYTHON does not run as Python >= 3.12; looking further"
    fi
    for c in python3.13 python3.12 python3; do
        path=$(command -v "$c" 2>/dev/null) || continue
        if python_version_of "$path" >/dev/null; then
            printf '%s\n' "$path"
            return 0
        fi
    done
    shopt -s nullglob
    local pyenv_candidates=("${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3)
    local system_candidates=()
    for c in $KAP_SYSTEM_PYTHON_DIRS; do
        system_candidates+=("$c"/python3.1[2-9])
    done
    shopt -u nullglob
    if found=$(newest_python "${pyenv_candidates[@]}"); then
        printf '%s\n' "$found"
        return 0
    fi
    if found=$(newest_python "${system_candidates[@]}"); then
        printf '%s\n' "$found"
        return 0
    fi
    printf '%s\n' >&2 \
        "setup: Python 3.12 or newer is needed and none was found" \
        "       (tried \$PYTHON, python3.13, python3.12, python3, pyenv's versions, $KAP_SYSTEM_PYTHON_DIRS)." \
        "       Install it with \`apt-get install python3.12 python3.12-venv\` (Debian 13+/Ubuntu 24.04)" \
        "       or \`pyenv install 3.12\`, or point PYTHON at one: PYTHON=/path/to/python3.12 scripts/setup.sh"
    return 1
}

if (( find_python_only )); then
    find_python || exit 1
    exit 0
fi

case ${BASH_SOURCE[0]} in
    */*) cd "${BASH_SOURCE[0]%/*}/.." ;;
    *) cd .. ;;
esac
[[ -f pyproject.toml ]] || die "no pyproject.toml in $PWD: is this script inside the repository?"

is_root() { [[ $(id -u) -eq 0 ]]; }
apt_updated=0
apt_install() {
    if (( ! apt_updated )); then
        say "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        apt_updated=1
    fi
    say "apt-get install -y $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}
can_apt() { is_root && command -v apt-get >/dev/null 2>&1; }

# --- the virtualenv ------------------------------------------------------------------------------------------
VENV=.venv
VPY=$VENV/bin/python
if [[ -e $VENV ]] && ! python_version_of "$VPY" >/dev/null; then
    say "$VENV has no working Python >= 3.12; recreating it"
    rm -rf "$VENV"
fi
if [[ ! -e $VPY ]]; then
    base=$(find_python) || exit 1
    say "creating $VENV with $base ($("$base" -c 'import sys; print(sys.version.split()[0])'))"
    if ! "$base" -m venv "$VENV"; then
        rm -rf "$VENV"
        die "'$base -m venv' failed; on Debian/Ubuntu install the venv module: apt-get install python3-venv
       (or python3.X-venv matching $base)"
    fi
    "$VPY" -m pip install -q --disable-pip-version-check --upgrade pip
fi

pyproject_sha=$("$VPY" -c 'import hashlib; print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest())')
stamp=$VENV/.installed-$pyproject_sha
if [[ ! -e $stamp ]]; then
    say "installing the project and its dev tools into $VENV (pyproject.toml changed)"
    "$VPY" -m pip install -q --disable-pip-version-check -e ".[dev]"
    rm -f "$VENV"/.installed-*
    : >"$stamp"
fi

# --- WeasyPrint's system libraries (pango, harfbuzz) -----------------------------------------------------------
if ! "$VPY" -c 'import weasyprint' >/dev/null 2>&1; then
    if can_apt; then
        say "WeasyPrint cannot load its system libraries; installing them"
        apt_install "${WEASYPRINT_PACKAGES[@]}"
        "$VPY" -c 'import weasyprint' || die "weasyprint still fails to import after installing ${WEASYPRINT_PACKAGES[*]}"
    else
        "$VPY" -c 'import weasyprint' 2>&1 | tail -n 3 >&2 || true
        die "WeasyPrint needs system libraries; install them with:
         sudo apt-get update && sudo apt-get install -y ${WEASYPRINT_PACKAGES[*]}"
    fi
fi

# --- Chromium for the browser tests (Debian's package; never a downloaded build) -------------------------------
if (( want_browser )) && [[ ! -x $CHROMIUM ]]; then
    if can_apt; then
        say "installing Debian's chromium for the Playwright tests"
        apt_install chromium
        [[ -x $CHROMIUM ]] || die "apt-get installed chromium but $CHROMIUM is still missing"
    else
        die "the browser tests need Debian's Chromium at $CHROMIUM; install it with:
         sudo apt-get update && sudo apt-get install -y chromium"
    fi
fi

# --- kubectl for the manifest checks (tests/deploy/test_k8s.py, deploy/k8s/check.sh); Debian's package ----------
if ! command -v kubectl >/dev/null 2>&1; then
    if can_apt; then
        say "installing Debian's kubectl for the Kubernetes manifest checks"
        apt_install kubectl || apt_install kubernetes-client || say "no kubectl package found; the manifest checks fail in CI"
    else
        say "kubectl is missing: the manifest checks skip outside CI (sudo apt-get install kubectl)"
    fi
fi

# --- runtime folder (SQLite database, Celery's filesystem broker, logs); gitignored -----------------------------
mkdir -p var/log var/celery
