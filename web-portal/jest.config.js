// The shared preset, plus TSX: component tests opt into jsdom with a `@jest-environment jsdom` docblock.
const path = require('path');
const preset = require('../jest.preset.js')('web-portal');

module.exports = {
  ...preset,
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: path.join(__dirname, 'tsconfig.spec.json') }],
  },
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json'],
  moduleNameMapper: {
    ...preset.moduleNameMapper,
    '\\.css$': path.join(__dirname, 'src/testing/style-stub.js'),
  },
};
