// XSS detector, in the spirit of libinjection's xss: the (already decoded) input is tokenized as
// HTML from every place it could land - between tags, inside a double-, single-, back-quoted or
// unquoted attribute value - and flagged when, from that place, it produces markup that runs
// script:
//   * a script-capable element: script, iframe, frameset, style, xml, import, vmlframe, handler,
//     listener, and object/embed/applet/frame/base/link/meta/form/isindex/bgsound when they carry
//     attributes (a bare `<Object>` is a Java generic, not markup);
//   * an `on*` event-handler attribute with a value, `srcdoc`, `datasrc`;
//   * any attribute whose value is a `javascript:`/`vbscript:`/`data:text/html` URL after entity
//     decoding and URL whitespace removal, or `url=` such a URL (meta refresh);
//   * `style` with expression(), script URLs, behavior, -moz-binding or @import;
//   * `</script>` (breaks out of a script block), IE conditional comments, `<?import`/
//     `<?xml-stylesheet`;
//   * an input starting in a URL attribute with a script URL whose body is code
//     ("javascript:alert(1)", not "JavaScript: The Good Parts");
//   * a break-out from a JS string in a <script> block followed by a call (`";alert(1)//`), and
//     client-side template injection (`{{constructor.constructor('alert(1)')()}}`).
// Not flagged: prose with `<` and `>`, `<3`, `<grin>`, `<john@example.com>`, and harmless tags
// (`<b>`, `<i>`, `<p>`, `<a href="https://...">`) without handlers: sanitizers keep these, and
// blocking them would block ordinary rich text.
#pragma once

#include <optional>
#include <string_view>

#include "rules/detect/finding.h"

namespace portcullis::rules {

// Finding.detector == Detector::kXss. context: "html", "attr-double-quote", "attr-single-quote",
// "attr-unquoted", "attr-back-quote", "url-attr", "js-single-quote", "js-double-quote",
// "template".
std::optional<Finding> detect_xss(std::string_view decoded);

}  // namespace portcullis::rules
