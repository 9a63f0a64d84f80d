// The embedded web companion: what exists, content types, and that no path
// trick reaches anything outside the table.
#include <gtest/gtest.h>

#include "api_static.h"

namespace hearth {
namespace {

TEST(StaticFiles, TheCompanionIsEmbedded) {
  for (const char* p : {"/", "/index.html", "/app.js", "/style.css", "/sw.js", "/manifest.webmanifest", "/icon.svg"}) {
    const EmbeddedFile* f = find_web_file(p);
    ASSERT_NE(f, nullptr) << p;
    EXPECT_GT(f->size, 0u) << p;
  }
  const EmbeddedFile* index = find_web_file("/");
  std::string_view html(reinterpret_cast<const char*>(index->data), index->size);
  EXPECT_NE(html.find("<html"), std::string_view::npos);
  EXPECT_EQ(web_content_type("/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(web_content_type("/app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(web_content_type("/manifest.webmanifest"), "application/manifest+json");
}

TEST(StaticFiles, TraversalAndOddPathsFindNothing) {
  for (const char* p : {"", "index.html", "/../index.html", "/..", "/../../etc/passwd", "/./index.html",
                        "//index.html", "/index.html/", "/index.html%00", "/INDEX.HTML", "/web/index.html",
                        "/..\\index.html", "/.hidden", "/etc/passwd", "/index.html\n"}) {
    EXPECT_EQ(find_web_file(p), nullptr) << p;
  }
  std::string nul = std::string("/index.html") + '\0';
  EXPECT_EQ(find_web_file(nul), nullptr);
}

TEST(StaticFiles, OpenApiDocumentIsEmbedded) {
  std::string_view doc = embedded_openapi_json();
  EXPECT_NE(doc.find("\"openapi\""), std::string_view::npos);
}

}  // namespace
}  // namespace hearth
