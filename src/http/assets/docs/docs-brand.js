// The API documentation's top bar names the ledger: Swagger UI renders it late, so wait for it.
(() => {
  const brand = () => {
    const wrapper = document.querySelector('#swagger-ui .topbar .topbar-wrapper');
    if (!wrapper || wrapper.querySelector('.ledger-brand')) return Boolean(wrapper);
    const name = document.createElement('span');
    name.className = 'ledger-brand';
    name.textContent = 'Act ledger · API for e-service providers';
    wrapper.prepend(name);
    return true;
  };
  if (brand()) return;
  const observer = new MutationObserver(() => {
    if (brand()) observer.disconnect();
  });
  observer.observe(document.documentElement, { childList: true, subtree: true });
})();
