// parse-feed.mjs FILE... — reads feeds with the parsers real JavaScript
// clients use and prints, per file, one JSON line:
//   {"file": F, "results": {"<parser>": {"title": T, "items": [{"title","id","link"}]} | {"error": E}}}
// The Go tests of digest/publish compare these readings with what they wrote.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { extractFromXml, extractFromJson } from "@extractus/feed-extractor";

const require = createRequire(import.meta.url);
const RSSParser = require("rss-parser");

async function read(file) {
  const text = readFileSync(file, "utf8");
  const results = {};
  const attempt = async (name, fn) => {
    try {
      results[name] = await fn();
    } catch (e) {
      results[name] = { error: String(e && e.message ? e.message : e) };
    }
  };
  if (file.endsWith(".json")) {
    await attempt("feed-extractor", async () => {
      const f = extractFromJson(JSON.parse(text), { descriptionMaxLen: 0, normalization: false });
      return { title: f.title, items: (f.items || []).map((e) => ({ title: e.title, id: e.id, link: e.url })) };
    });
  } else {
    await attempt("rss-parser", async () => {
      const f = await new RSSParser().parseString(text);
      return { title: f.title, items: (f.items || []).map((e) => ({ title: e.title, id: e.guid || e.id, link: e.link })) };
    });
    await attempt("feed-extractor", async () => {
      const f = extractFromXml(text, { descriptionMaxLen: 0 });
      return { title: f.title, items: (f.entries || []).map((e) => ({ title: e.title, id: e.id, link: e.link })) };
    });
  }
  return results;
}

for (const file of process.argv.slice(2)) {
  process.stdout.write(JSON.stringify({ file, results: await read(file) }) + "\n");
}
