#!/usr/bin/env python3
"""Fails when a target imports a module of this package (or a package product) that it does not
declare as a direct dependency in Package.swift.

SwiftPM's own `--explicit-target-dependency-import-check error` accepts a module that is only
reachable through another dependency, and (6.3, native build system) reports nothing at all here;
this check is stricter: every target declares exactly what it imports (swift-numerics' habit).
Also fails when a target declares a dependency on a target it never imports (except C shims that
are linked for their symbols)."""
import json, os, re, subprocess, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pkg = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=root, check=True,
                                capture_output=True, text=True).stdout)
SYSTEM = {"Foundation", "FoundationEssentials", "FoundationXML", "FoundationNetworking", "Glibc", "Musl",
          "Darwin", "Dispatch", "XCTest", "Testing", "Accelerate", "Android", "WinSDK", "ucrt", "os",
          "Synchronization", "_Concurrency", "Swift"}
targets = {t["name"]: t for t in pkg["targets"]}
import_re = re.compile(r"^\s*(?:@testable\s+|@_implementationOnly\s+|@_exported\s+|(?:public|package|internal)\s+)?import\s+"
                       r"(?:(?:struct|class|enum|func|var|let|typealias|protocol)\s+)?([A-Za-z_][A-Za-z0-9_]*)", re.M)
product_modules = {"ArgumentParser": "ArgumentParser", "Atomics": "Atomics"}
failures = []
for name, t in targets.items():
    if t["type"] == "system":
        continue
    path = t.get("path") or os.path.join("Tests" if t["type"] == "test" else "Sources", name)
    declared = set()
    for d in t.get("dependencies", []):
        kind, value = next(iter(d.items()))
        declared.add(value[0])
    imported = set()
    for dirpath, _, files in os.walk(os.path.join(root, path)):
        for f in files:
            if f.endswith(".swift"):
                imported |= set(import_re.findall(open(os.path.join(dirpath, f), encoding="utf-8").read()))
    imported -= SYSTEM
    known = set(targets) | set(product_modules)
    for m in sorted(imported & known - declared):
        failures.append(f"{path}: imports {m} but Package.swift does not declare it")
    c_only = {n for n, x in targets.items() if x["type"] == "system" or not os.path.exists(
        os.path.join(root, x.get("path") or f"Sources/{n}")) or not any(
        fn.endswith(".swift") for _, _, fs in os.walk(os.path.join(root, x.get("path") or f"Sources/{n}")) for fn in fs)}
    for m in sorted(declared - imported - c_only):
        if m in known:
            failures.append(f"{path}: declares {m} but never imports it")
for f in failures:
    print("error: " + f, file=sys.stderr)
sys.exit(1 if failures else 0)
