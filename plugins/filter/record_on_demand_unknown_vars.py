# -*- coding: utf-8 -*-
# Copyright: Contributors to the cxone.recording collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The filter that warns about variables with the role's prefix that the role does not know.

A misspelled role variable (``record_on_demand_no_active_cal``) is otherwise silently ignored:
Ansible checks a role's argument specification only for the options it names.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: record_on_demand_unknown_vars
short_description: Warn about record_on_demand_ variables the role does not know
version_added: 1.0.0
author:
  - cxone.recording contributors (@cxone-recording)
description:
  - Takes the names of the variables defined for a host that start with the role's prefix
    C(record_on_demand_) and returns those that are neither options of the role
    C(cxone.recording.record_on_demand) nor variables the role sets itself, each with the known
    name it most resembles.
  - Shows an Ansible warning for each, such as C(record_on_demand_no_active_cal is not a variable
    of the role cxone.recording.record_on_demand and is ignored; did you mean
    record_on_demand_no_active_call?).
  - The role runs it in its first tasks, with the names from the P(ansible.builtin.varnames#lookup)
    lookup and its options from its C(meta/argument_specs.yml).
options:
  _input:
    description: The names of the variables to check.
    type: list
    elements: str
    required: true
  known:
    description: The names the role knows (its options and the variables it sets).
    type: list
    elements: str
    required: true
  warn:
    description: Whether to show a warning for each unknown name, besides returning it.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Warn about record_on_demand_ variables the role does not know
  ansible.builtin.debug:
    msg: "{{ query('ansible.builtin.varnames', '^record_on_demand_')
             | cxone.recording.record_on_demand_unknown_vars(known=['record_on_demand_plan']) }}"
"""

RETURN = r"""
_value:
  description: One sentence per unknown name, in the order given; empty when every name is known.
  type: list
  elements: str
"""

import difflib

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text
from ansible.utils.display import Display

ROLE = "cxone.recording.record_on_demand"
PREFIX = "record_on_demand_"


def record_on_demand_unknown_vars(names, known, warn=True):
    """The sentences naming each unknown name (with the closest known one); warns about each."""
    if not isinstance(names, (list, tuple)) or not isinstance(known, (list, tuple)):
        raise AnsibleFilterError("record_on_demand_unknown_vars: the names and known must be lists")
    known = [to_text(name) for name in known]
    sentences = []
    for name in sorted({to_text(name) for name in names} - set(known)):
        sentence = "%s is not a variable of the role %s and is ignored" % (name, ROLE)
        # Compared without the shared prefix, which would make every name look alike.
        suffixes = [known_name[len(PREFIX):] for known_name in known if known_name.startswith(PREFIX)]
        closest = difflib.get_close_matches(name[len(PREFIX):], suffixes, n=1, cutoff=0.75)
        if closest and name.startswith(PREFIX):
            sentence += "; did you mean %s%s?" % (PREFIX, closest[0])
        sentences.append(sentence)
    if warn:
        for sentence in sentences:
            Display().warning(sentence)
    return sentences


class FilterModule:  # pylint: disable=too-few-public-methods
    """The cxone.recording.record_on_demand_unknown_vars filter."""

    def filters(self):
        return {"record_on_demand_unknown_vars": record_on_demand_unknown_vars}
