// The demo's service worker: caches the page, its scripts and the data on install and
// answers from the cache first, so the demo works offline after the first visit.
const CACHE = "polyhead-demo-v2";
const ASSETS = ["./", "index.html", "app.js", "demo-worker.js", "train-worker.js", "mnist.bin"];

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(ASSETS)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});
self.addEventListener("fetch", (e) => {
  if (e.request.method !== "GET") return;
  e.respondWith(caches.match(e.request, { ignoreSearch: true }).then((hit) => hit ?? fetch(e.request)));
});
