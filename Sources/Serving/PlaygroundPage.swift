/// The playground page served at `/`: one self-contained document (no network but this server).
enum PlaygroundPage {
    static let html = """
        <!doctype html><html><head><meta charset="utf-8"><title>charnn</title></head>
        <body><h1>charnn</h1><p>The playground page is being written.</p></body></html>
        """
}
