//! What the build writes besides HTML pages: sitemap, Atom feed, search index, `catalog.json`,
//! published images, and the incremental write of the output folder (`atomic`).

pub mod atomic;
pub mod catalog;
pub mod feed;
pub mod images;
pub mod search;
pub mod sitemap;

/// Escapes text for XML element content and attribute values.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            other => out.push(other),
        }
    }
    out
}

/// JSON that is safe inside `<script>`: `<`, `>` and `&` are written as `\u` escapes so the
/// text can never close the script element.
pub fn script_safe_json(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_xml("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        let json = serde_json::json!({"name": "</script><script>x"});
        assert!(!script_safe_json(&json).contains("</script"));
    }
}
