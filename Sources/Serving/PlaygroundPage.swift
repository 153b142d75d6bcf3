/// The playground page served at `/`: one self-contained document (its style and script
/// inline; it calls nothing but this server's API). Its source is Resources/playground.html,
/// compiled into the binary by SwiftPM (`.embedInCode`): no file is read at run time.
enum PlaygroundPage {
    static let bytes: [UInt8] = PackageResources.playground_html
}
