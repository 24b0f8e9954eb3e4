import { Injectable } from "./di";
import type { Config } from "../config";
import Default from "./default";

export interface Shape {
  area(): number;
}

export type Point = { x: number; y: number };

enum Color {
  Red,
  Green,
}

export abstract class Base implements Shape {
  abstract area(): number;
  describe(): string {
    return "shape";
  }
}

export function distance(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

export const origin: Point = { x: 0, y: 0 };
const double = (n: number): number => n * 2;

namespace Geometry {
  export const unit = 1;
}
