# Copyright: (c) 2026, cxone.recording contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Seed ansible-test's cache so that ``ansible-test ... --venv`` can bootstrap pip offline.

When ansible-test creates one of its virtual environments it creates it without pip and then
runs a "get-pip" bootstrap script for the exact pip version that this ansible-core pins
(``get_venv_packages()`` in ``ansible_test/_internal/python_requirements.py``). It looks for
that script in ``~/.ansible/test/cache/get_pip_<version with dots as underscores>.py``
(``bootstrap()`` in ``ansible_test/_util/target/setup/requirements.py``) and otherwise downloads
it from a host that this machine cannot reach; then every sanity test that needs its own venv
(pylint, pep8, validate-modules, import, ...) fails to set up.

This script, run with the Python of the venv that holds ansible-core, puts two files there:

* the pip wheel of that version, fetched from the package index with ``pip download``;
* a small ``get_pip_<v>.py`` that installs pip from that wheel, as the real get-pip would.

ansible-test runs the bootstrap script as
``python quiet_pip.py <pip options> pip==<v> --no-setuptools --no-wheel`` with
``GET_PIP=<script>``, and quiet_pip.py runs it with ``runpy.run_module(..., alter_sys=True)``,
so ``sys.argv[1:]`` holds those arguments.

Usage: ``.venv/bin/python tests/utils/seed_ansible_test_pip.py [--check]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import types

CACHE_DIR = os.path.expanduser('~/.ansible/test/cache')

SHIM_TEMPLATE = '''\
"""Offline stand-in for get-pip.py {version}, written by tests/utils/seed_ansible_test_pip.py."""
import os
import sys

WHEEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), {wheel!r})


def main():
    """Install pip {version} from the wheel beside this file, with ansible-test's arguments."""
    # get-pip.py's own options: this shim never installs setuptools or wheel anyway.
    args = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
    # A requirement for pip itself is served by the local wheel.
    args = [WHEEL if arg == 'pip=={version}' else arg for arg in args]
    sys.path.insert(0, WHEEL)
    from pip._internal.cli.main import main as pip_main  # pylint: disable=import-outside-toplevel
    sys.exit(pip_main(['install', '--upgrade', '--force-reinstall'] + args))


if __name__ == '__main__':
    main()
'''


def pinned_pip_version(python_version: str) -> str:
    """Return the pip version that the installed ansible-test bootstraps for ``python_version``."""
    # pylint: disable-next=import-outside-toplevel
    from ansible_test._internal.python_requirements import get_venv_packages

    # get_venv_packages() only reads the ``version`` attribute of its PythonConfig argument.
    packages = get_venv_packages(types.SimpleNamespace(version=python_version))
    return packages['pip']


def wheel_name(version: str) -> str:
    """Return the file name of pip's universal wheel for ``version``."""
    return f'pip-{version}-py3-none-any.whl'


def shim_name(version: str) -> str:
    """Return the file name that ansible-test looks for in its cache."""
    return 'get_pip_%s.py' % version.replace('.', '_')


def download_wheel(version: str, dest: str) -> None:
    """Fetch pip's wheel of ``version`` into ``dest`` (atomically)."""
    with tempfile.TemporaryDirectory(dir=CACHE_DIR) as tmp:
        subprocess.run(
            [sys.executable, '-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary', ':all:',
             '--dest', tmp, f'pip=={version}'],
            check=True,
        )
        os.replace(os.path.join(tmp, os.path.basename(dest)), dest)


def seed(python_version: str, check_only: bool) -> int:
    """Make sure the wheel and the shim are in ansible-test's cache; return an exit code."""
    version = pinned_pip_version(python_version)
    wheel = os.path.join(CACHE_DIR, wheel_name(version))
    shim = os.path.join(CACHE_DIR, shim_name(version))
    shim_text = SHIM_TEMPLATE.format(version=version, wheel=wheel_name(version))

    if check_only:
        ok = os.path.isfile(wheel) and os.path.isfile(shim)
        print(f'ansible-test pip {version}: {"seeded" if ok else "NOT seeded"} ({shim})')
        return 0 if ok else 1

    os.makedirs(CACHE_DIR, exist_ok=True)

    if not os.path.isfile(wheel):
        download_wheel(version, wheel)

    current = None
    if os.path.isfile(shim):
        with open(shim, encoding='utf-8') as handle:
            current = handle.read()

    if current != shim_text:
        with open(shim + '.tmp', 'w', encoding='utf-8') as handle:
            handle.write(shim_text)
        os.replace(shim + '.tmp', shim)

    print(f'ansible-test pip {version} bootstrap: {shim} (installs {wheel})')
    return 0


def main() -> int:
    """Parse the command line and seed the cache."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--python', default='%d.%d' % sys.version_info[:2],
                        help='Python version ansible-test will create venvs for (default: this one)')
    parser.add_argument('--check', action='store_true', help='only report whether the cache is seeded')
    options = parser.parse_args()
    return seed(options.python, options.check)


if __name__ == '__main__':
    sys.exit(main())
