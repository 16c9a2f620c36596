import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { terminalLanguage } from './terminal-language.js';

describe('terminal language', () => {
  it('speaks Bokmål to a Norwegian locale in any written form, English otherwise', () => {
    for (const locale of ['nb_NO.UTF-8', 'no_NO', 'nn_NO.UTF-8', 'nb']) {
      assert.equal(terminalLanguage({ LANG: locale }), 'nb', locale);
    }
    for (const locale of ['C.UTF-8', 'POSIX', 'en_GB.UTF-8', 'de_DE', 'nbx', '']) {
      assert.equal(terminalLanguage({ LANG: locale }), 'en', locale);
    }
  });

  it('lets LC_ALL, then LC_MESSAGES, override LANG', () => {
    assert.equal(terminalLanguage({ LC_ALL: 'C', LANG: 'nb_NO.UTF-8' }), 'en');
    assert.equal(terminalLanguage({ LC_MESSAGES: 'nb_NO.UTF-8', LANG: 'en_US.UTF-8' }), 'nb');
    assert.equal(terminalLanguage({ LC_ALL: '', LANG: 'nb_NO.UTF-8' }), 'nb');
  });

  it('lets KEYHOLD_LANG choose over the locale', () => {
    assert.equal(terminalLanguage({ KEYHOLD_LANG: 'nb', LC_ALL: 'en_US.UTF-8' }), 'nb');
    assert.equal(terminalLanguage({ KEYHOLD_LANG: 'en', LANG: 'nb_NO.UTF-8' }), 'en');
  });
});
