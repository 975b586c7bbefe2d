// Starts GraphiQL against this service. Everything it needs is served by the service itself;
// the page's settings come in a JSON block (not a script), so the page's Content Security
// Policy can forbid inline scripts.
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('hub-config').textContent);
  var h = React.createElement;

  function choosePersona(event) {
    var key = event.target.value;
    var url = new URL(window.location.href);
    if (key) {
      url.searchParams.set('persona', key);
    } else {
      url.searchParams.delete('persona');
    }
    window.location.assign(url.toString());
  }

  function Bar() {
    var children = [h('strong', { key: 'name' }, 'resilience-hub')];
    if (config.personas.length > 0) {
      var options = [h('option', { key: '', value: '' }, 'no token')].concat(
        config.personas.map(function (p) {
          return h('option', { key: p.key, value: p.key }, p.title);
        })
      );
      children.push(
        h('label', { key: 'persona', htmlFor: 'hub-persona' }, 'Acting as'),
        h(
          'select',
          { key: 'select', id: 'hub-persona', value: config.persona || '', onChange: choosePersona },
          options
        )
      );
      if (config.persona) {
        children.push(
          h('span', { key: 'note', className: 'hub-note' },
            'A demo token for this persona is in the Headers tab below (valid ' + config.tokenLifetime + ').')
        );
      }
    } else {
      children.push(
        h('span', { key: 'note', className: 'hub-note' },
          'Put your token in the Headers tab below: {"Authorization": "Bearer <token>"}')
      );
    }
    if (config.notice) {
      children.push(h('span', { key: 'notice', className: 'hub-notice' }, config.notice));
    }
    return h('header', { className: 'hub-bar' }, children);
  }

  var fetcher = GraphiQL.createFetcher({ url: config.endpoint });
  var props = {
    fetcher: fetcher,
    defaultQuery: config.defaultQuery,
    // A persona's token is a fresh one at every load: never keep it in the browser's storage.
    shouldPersistHeaders: false,
    isHeadersEditorEnabled: true
  };
  if (config.headers) {
    props.headers = config.headers;
    props.defaultHeaders = config.headers;
    props.defaultEditorToolsVisibility = 'headers';
  }
  var root = ReactDOM.createRoot(document.getElementById('hub-root'));
  root.render(
    h('div', { className: 'hub-page' }, h(Bar), h('main', { className: 'hub-ide' }, h(GraphiQL, props)))
  );
})();
