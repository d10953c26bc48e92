module.exports = require('../jest.preset.js')('hypervisor-agent');
