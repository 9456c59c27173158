// The Chatplane chat widget loader. Put it on any page with one tag:
//
//   <script src="https://chat.example.com/widget/widget.js" data-license-id="1" async></script>
//
// Optional attributes: data-group-id (the group the chats go to), data-title.
// This classic script reads its own tag, then loads the widget's ES modules from beside it.
(() => {
  const script =
    document.currentScript ||
    Array.from(document.querySelectorAll("script[data-license-id]")).pop();
  if (!script || window.ChatplaneWidget) return;
  const src = new URL(script.src, location.href);
  const licenseId = Number(script.dataset.licenseId);
  if (!Number.isInteger(licenseId) || licenseId <= 0) {
    console.error("Chatplane widget: data-license-id must be a license number");
    return;
  }
  const config = {
    licenseId,
    groupId: script.dataset.groupId != null ? Number(script.dataset.groupId) : null,
    title: script.dataset.title || "Chat with us",
    base: src.origin,
    assets: new URL("./", src).href,
  };
  window.ChatplaneWidget = { config, ready: false };
  import(new URL("./widget-main.js", src).href)
    .then((module) => {
      window.ChatplaneWidget = module.mount(config);
    })
    .catch((err) => console.error("Chatplane widget failed to load", err));
})();
