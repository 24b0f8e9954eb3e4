import React, { useState as useLocalState, useEffect } from "react";
import * as path from "./path.js";
import "./styles.css";
const fs = require("fs");
const { readFile } = require("fs/promises");

export const VERSION = "1.0";

export function render(node) {
  return node;
}

function* ids() {
  yield 1;
}

class Widget extends Base {
  constructor(name) {
    super();
    this.name = name;
  }

  draw(ctx) {
    return ctx;
  }
}

export const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));
let handler = function (event) {};
