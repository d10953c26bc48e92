module.exports = require('../jest.preset.js')('web-portal');
