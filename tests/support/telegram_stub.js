// A stand-in for Telegram's telegram-web-app.js in the browser tests (tests/support/webapp.py
// fills in the config): window.Telegram.WebApp, recording what the page asks of Telegram.
(function () {
  const config = /*CONFIG*/;
  const calls = [];
  const record = (...call) => calls.push(call);
  function button(name) {
    const handlers = [];
    return {
      text: "", isVisible: false, isActive: true, isProgressVisible: false,
      setText(text) { this.text = text; record(name + ".setText", text); return this; },
      show() { this.isVisible = true; record(name + ".show"); return this; },
      hide() { this.isVisible = false; record(name + ".hide"); return this; },
      enable() { this.isActive = true; return this; },
      disable() { this.isActive = false; return this; },
      showProgress() {
        this.isProgressVisible = true;
        record(name + ".showProgress");
        return this;
      },
      hideProgress() {
        this.isProgressVisible = false;
        record(name + ".hideProgress");
        return this;
      },
      setParams(params) { Object.assign(this, params); return this; },
      onClick(handler) { handlers.push(handler); return this; },
      offClick(handler) { handlers.splice(handlers.indexOf(handler), 1); return this; },
      press() {
        if (!this.isVisible || this.isActive === false) return false;
        handlers.forEach((handler) => handler());
        return true;
      },
    };
  }
  const user = JSON.parse(new URLSearchParams(config.initData).get("user") || "null");
  const webApp = {
    initData: config.initData,
    initDataUnsafe: { user: user },
    version: "8.0",
    platform: "tdesktop",
    colorScheme: config.dark ? "dark" : "light",
    themeParams: config.themeParams,
    isClosingConfirmationEnabled: false,
    MainButton: button("MainButton"),
    BackButton: button("BackButton"),
    HapticFeedback: {
      notificationOccurred(type) { record("haptic", type); },
      impactOccurred(style) { record("haptic", style); },
      selectionChanged() {},
    },
    ready() { record("ready"); },
    expand() { record("expand"); },
    close() { record("close"); },
    showConfirm(message, callback) {
      record("showConfirm", message);
      setTimeout(() => callback && callback(window.__tg.confirmAnswer), 0);
    },
    showAlert(message, callback) {
      record("showAlert", message);
      setTimeout(() => callback && callback(), 0);
    },
    enableClosingConfirmation() { this.isClosingConfirmationEnabled = true; },
    disableClosingConfirmation() { this.isClosingConfirmationEnabled = false; },
    onEvent(name, handler) { record("onEvent", name); },
    offEvent(name, handler) {},
  };
  window.Telegram = { WebApp: webApp };
  window.__tg = {
    calls: calls,
    confirmAnswer: true,
    press(name) { return webApp[name].press(); },
    called(name) { return calls.filter((call) => call[0] === name); },
  };
})();
