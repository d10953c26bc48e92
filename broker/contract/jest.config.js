module.exports = require('../../jest.preset.js')('broker-contract');
