// Records the git commit a build is made from, for `charnn --version`: before every build of the
// charnn target it writes BuildCommit.swift (`let buildCommit = "…"`) into the plugin's work
// directory. A plain `swift build` runs it too; outside a git checkout, or without git, the
// commit is "unknown". The file is rewritten only when its text changes, so an unchanged commit
// costs no recompilation.
import Foundation
import PackagePlugin

@main
struct BuildCommit: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let work = context.pluginWorkDirectoryURL
        let generated = work.appendingPathComponent("Generated")
        // The commit (12 hex digits), "-dirty" when tracked files differ from it (git describe's
        // word), or "unknown". --no-optional-locks: a build never writes to the repository.
        let script = """
            root="$1"; generated="$2"; work="$3"
            git() { command git -C "$root" --no-optional-locks "$@" 2>/dev/null; }
            commit=$(git rev-parse --short=12 HEAD) || commit=unknown
            [ -n "$commit" ] || commit=unknown
            if [ "$commit" != unknown ] && ! git diff --quiet HEAD --; then commit="$commit-dirty"; fi
            mkdir -p "$generated"
            printf '// Written by the BuildCommit plugin before each build.\\nlet buildCommit = "%s"\\n' \
                "$commit" > "$work/BuildCommit.swift.new"
            if cmp -s "$work/BuildCommit.swift.new" "$generated/BuildCommit.swift"; then
                rm -f "$work/BuildCommit.swift.new"
            else
                mv "$work/BuildCommit.swift.new" "$generated/BuildCommit.swift"
            fi
            """
        return [
            .prebuildCommand(
                displayName: "Recording the git commit of \(target.name)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "sh", context.package.directoryURL.path, generated.path, work.path],
                outputFilesDirectory: generated)
        ]
    }
}
