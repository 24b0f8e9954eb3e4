import { useState } from "react";
import { Button } from "./components/Button";

interface Props {
  label: string;
}

export function Counter({ label }: Props) {
  const [count, setCount] = useState(0);
  return <Button onClick={() => setCount(count + 1)}>{label}: {count}</Button>;
}

export const Badge = ({ label }: Props) => <span className="badge">{label}</span>;
