"""Where the bytes of a WebAssembly component go: its core modules, their sections, and the
code of each module attributed to the Rust crate its functions come from.

    python3 host-harness/benches/size.py COMPONENT.wasm [COMPONENT_WITH_NAMES.wasm]

Function names come from the `name` section, which the shipped (stripped) component lacks:
pass a second build of the same component made with `CARGO_PROFILE_WASM_STRIP=false` (its code
is otherwise identical) to attribute code by crate. A poor man's `twiggy`, standard library
only; see BENCHMARKS.md, section "Size".
"""

import re
import sys
from collections import Counter

COMPONENT_SECTIONS = {0: "custom", 1: "core module", 2: "core instance", 3: "core type",
                      4: "component", 5: "instance", 6: "alias", 7: "type", 8: "canon",
                      9: "start", 10: "import", 11: "export", 12: "value"}
CORE_SECTIONS = {0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory",
                 6: "global", 7: "export", 8: "start", 9: "element", 10: "code", 11: "data",
                 12: "datacount"}


def leb(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def name_of(data, pos):
    length, pos = leb(data, pos)
    return data[pos:pos + length].decode("utf-8", "replace"), pos + length


def sections(data):
    """(id, start, end) of each section after the 8-byte preamble."""
    pos = 8
    while pos < len(data):
        sid = data[pos]
        size, body = leb(data, pos + 1)
        yield sid, body, body + size
        pos = body + size


def imported_functions(data, start):
    count, pos = leb(data, start)
    functions = 0
    for _ in range(count):
        _, pos = name_of(data, pos)
        _, pos = name_of(data, pos)
        kind = data[pos]
        pos += 1
        if kind == 0:
            _, pos = leb(data, pos)
            functions += 1
        elif kind == 1:  # table: reftype + limits
            pos += 1
            flags, pos = leb(data, pos)
            _, pos = leb(data, pos)
            if flags & 1:
                _, pos = leb(data, pos)
        elif kind == 2:  # memory: limits
            flags, pos = leb(data, pos)
            _, pos = leb(data, pos)
            if flags & 1:
                _, pos = leb(data, pos)
        elif kind == 3:  # global: valtype + mutability
            pos += 2
        else:
            _, pos = leb(data, pos)
    return functions


def function_names(data, start, end):
    name, pos = name_of(data, start)
    names = {}
    if name != "name":
        return names
    while pos < end:
        sub = data[pos]
        size, pos = leb(data, pos + 1)
        if sub == 1:
            count, p = leb(data, pos)
            for _ in range(count):
                index, p = leb(data, p)
                names[index], p = name_of(data, p)
        pos += size
    return names


LEGACY_ESCAPES = {"$LT$": "<", "$GT$": ">", "$RF$": "&", "$BP$": "*", "$u20$": " ",
                  "$C$": ",", "$u27$": "'", "$u5b$": "[", "$u5d$": "]", "$u7b$": "{",
                  "$u7d$": "}", "$u3b$": ";", "$u7e$": "~", "$SP$": "@", "..": "::"}


def crate_of(name):
    """The crate a symbol's code comes from: the first crate named in its mangled path (for
    `<T as Trait>::f`, the crate of T)."""
    if name.startswith("_ZN"):  # legacy mangling: length-prefixed segments
        length = re.match(r"_ZN(\d+)", name)
        segment = name[length.end():length.end() + int(length.group(1))]
        for escape, text in LEGACY_ESCAPES.items():
            segment = segment.replace(escape, text)
        segment = segment.lstrip("_")
        if segment.startswith("<"):
            path = re.search(r"([A-Za-z_][A-Za-z0-9_]*)::", segment.replace("&mut ", ""))
            return path.group(1) if path else segment
        return segment
    if name.startswith("_R"):  # v0 mangling: the first crate root, C[s<hash>_]<len><name>
        root = re.search(r"C(?:s[0-9A-Za-z]*_)?(\d+)", name)
        if root:
            return name[root.end():root.end() + int(root.group(1))]
        return "(v0, unparsed)"
    if ":" in name or "#" in name:
        return "(wit-bindgen export glue)"
    return "(C: wasi-libc, dlmalloc, compiler-rt)"


def core_module(data, label, named=None):
    print(f"  core module {label}: {len(data):,} bytes")
    by_section = Counter()
    bodies = []
    imports = 0
    names = {}
    for sid, start, end in sections(data):
        kind = CORE_SECTIONS.get(sid, str(sid))
        if sid == 0:
            custom, _ = name_of(data, start)
            kind = f"custom:{custom}"
            if custom == "name":
                names = function_names(data, start, end)
        by_section[kind] += end - start
        if sid == 2:
            imports = imported_functions(data, start)
        if sid == 10:
            count, pos = leb(data, start)
            for _ in range(count):
                size, body = leb(data, pos)
                bodies.append(size + (body - pos))
                pos = body + size
    for kind, size in by_section.most_common():
        print(f"    {kind:<24} {size:>9,}")
    names = named or names
    if names and bodies:
        per_crate = Counter()
        for i, size in enumerate(bodies):
            per_crate[crate_of(names.get(imports + i, "?"))] += size
        print(f"    code by crate ({len(bodies)} functions):")
        for crate, size in per_crate.most_common(20):
            print(f"      {crate:<40} {size:>9,}")
        top = sorted(((s, names.get(imports + i, "?")) for i, s in enumerate(bodies)), reverse=True)
        print("    largest functions:")
        for size, name in top[:15]:
            print(f"      {size:>7,}  {name[:110]}")
    return names


def modules_of(path):
    data = open(path, "rb").read()
    found = []
    for sid, start, end in sections(data):
        if sid == 1:
            found.append(data[start:end])
    return data, found


def main():
    path = sys.argv[1]
    data, modules = modules_of(path)
    print(f"{path}: {len(data):,} bytes")
    top = Counter()
    for sid, start, end in sections(data):
        top[COMPONENT_SECTIONS.get(sid, str(sid))] += end - start
    for kind, size in top.most_common():
        print(f"  component section {kind:<14} {size:>9,}")
    named_modules = []
    if len(sys.argv) > 2:
        _, named_modules = modules_of(sys.argv[2])
    for i, module in enumerate(modules):
        names = None
        if i < len(named_modules):
            names = {}
            for sid, start, end in sections(named_modules[i]):
                if sid == 0 and name_of(named_modules[i], start)[0] == "name":
                    names = function_names(named_modules[i], start, end)
        core_module(module, f"#{i}", names)


if __name__ == "__main__":
    main()
